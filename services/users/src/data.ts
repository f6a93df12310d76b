/** The users resource: its sample data (sample.json) and the read-only queries on it. */
import { inMemoryCollection } from '@forum/service-kit';
import sample from './sample.json';

export interface User {
  readonly id: number;
  readonly username: string;
  readonly name: string;
  readonly bio: string;
}

export const userStore = inMemoryCollection<User>(sample);
