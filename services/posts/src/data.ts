/** The posts resource: its sample data (sample.json) and the read-only queries on it. */
import sample from './sample.json';

export interface Post {
  /** Id of the thread the post belongs to. */
  readonly thread: number;
  readonly text: string;
  /** Id of the user who wrote the post. */
  readonly user: number;
}

const posts: readonly Post[] = sample;

export const postStore = {
  inThread: (threadId: number): readonly Post[] => posts.filter((post) => post.thread === threadId),
  byUser: (userId: number): readonly Post[] => posts.filter((post) => post.user === userId),
};
