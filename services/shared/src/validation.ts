import Joi from 'joi';
import { MAX_ID } from './store/schema';

export { MAX_ID };

/** What a bad id is told, whatever its shape (`abc`, `0`, `01`, `+1`, `1.0`, `1e3`, ` 1`, too large): one message. */
export const ID_RULE = `must be a positive integer from 1 to ${MAX_ID}, written in decimal digits only`;

/** An id in a path: canonical decimal digits only (no sign, point, exponent, spaces or leading zeros), at most MAX_ID. */
const id = Joi.string()
  .pattern(/^[1-9][0-9]{0,9}$/)
  .custom((value: string, helpers) => (Number(value) > MAX_ID ? helpers.error('any.invalid') : Number(value)))
  .required()
  .messages({ '*': `{{#label}} ${ID_RULE}` });

/** Route params schema for one numeric id param, e.g. `idParams('threadId')` for `/in-thread/{threadId}`. */
export function idParams(name: string): Joi.ObjectSchema {
  return Joi.object({ [name]: id });
}

/** An id in a JSON body: a number, not a string of digits. */
export const idField = Joi.number().integer().strict().min(1).max(MAX_ID);
