/** The threads resource: its sample data (sample.json) and the read-only queries on it. */
import { inMemoryCollection } from '@forum/service-kit';
import sample from './sample.json';

export interface Thread {
  readonly id: number;
  readonly title: string;
  /** Id of the user who opened the thread. */
  readonly createdBy: number;
}

export const threadStore = inMemoryCollection<Thread>(sample);
