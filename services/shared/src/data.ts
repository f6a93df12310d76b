/**
 * The forum's sample data and the read-only queries the services run on it.
 * Each microservice reads only its own resource; the monolith reads all three.
 */
export interface User {
  readonly id: number;
  readonly username: string;
  readonly name: string;
  readonly bio: string;
}

export interface Thread {
  readonly id: number;
  readonly title: string;
  /** Id of the user who opened the thread. */
  readonly createdBy: number;
}

export interface Post {
  /** Id of the thread the post belongs to. */
  readonly thread: number;
  readonly text: string;
  /** Id of the user who wrote the post. */
  readonly user: number;
}

const users: readonly User[] = [
  { id: 1, username: 'marcopolo', name: 'Marco Polo', bio: 'Travels the silk road, one container at a time.' },
  { id: 2, username: 'ada', name: 'Ada Lovelace', bio: 'Writes the first program, then the first microservice.' },
  { id: 3, username: 'grace', name: 'Grace Hopper', bio: 'Finds the bug in the load balancer.' },
  { id: 4, username: 'linus', name: 'Linus Pauling', bio: 'Two Nobel prizes, zero outages.' },
  { id: 5, username: 'hedy', name: 'Hedy Lamarr', bio: 'Frequency hopping, blue/green switching.' },
];

const threads: readonly Thread[] = [
  { id: 1, title: 'What is the best way to split a monolith?', createdBy: 2 },
  { id: 2, title: 'Fargate or EC2 for a small team?', createdBy: 1 },
  { id: 3, title: 'Show us your ALB path rules', createdBy: 3 },
  { id: 4, title: 'Blue/green war stories', createdBy: 5 },
];

const posts: readonly Post[] = [
  { thread: 1, text: 'Start with the resource that changes most often.', user: 2 },
  { thread: 1, text: 'And keep the monolith as the default route while you do it.', user: 3 },
  { thread: 1, text: 'Strangler fig pattern, one path prefix at a time.', user: 4 },
  { thread: 2, text: 'Fargate: nobody on the team wants to patch hosts.', user: 1 },
  { thread: 2, text: 'EC2 when you need GPUs, Fargate for everything else.', user: 4 },
  { thread: 3, text: '/api/users/* goes to the users service, priority 10.', user: 3 },
  { thread: 3, text: 'Never derive rule priorities from list order.', user: 2 },
  { thread: 3, text: 'The default action still forwards to the monolith.', user: 1 },
  { thread: 4, text: 'Our pre-traffic hook caught a missing env var.', user: 5 },
];

export const userStore = {
  all: (): readonly User[] => users,
  byId: (id: number): User | undefined => users.find((user) => user.id === id),
};

export const threadStore = {
  all: (): readonly Thread[] => threads,
  byId: (id: number): Thread | undefined => threads.find((thread) => thread.id === id),
};

export const postStore = {
  inThread: (threadId: number): readonly Post[] => posts.filter((post) => post.thread === threadId),
  byUser: (userId: number): readonly Post[] => posts.filter((post) => post.user === userId),
};
