import Joi from 'joi';

/** Largest id any resource may have: ids are positive 32-bit integers, so a 20-digit id is a 400, not a lookup. */
export const MAX_ID = 2_147_483_647;

/** Route params schema for one numeric id param, e.g. `idParams('threadId')` for `/in-thread/{threadId}`. */
export function idParams(name: string): Joi.ObjectSchema {
  return Joi.object({ [name]: Joi.number().integer().positive().max(MAX_ID).required() });
}
