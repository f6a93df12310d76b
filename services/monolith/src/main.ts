import { postsPlugin } from '@forum/posts';
import { runService } from '@forum/service-kit';
import { threadsPlugin } from '@forum/threads';
import { usersPlugin } from '@forum/users';

/** Every resource in one process tree: WORKERS cluster workers share the port, as in the workshop's monolith. */
runService({ service: 'monolith', plugins: [usersPlugin, threadsPlugin, postsPlugin], clustered: true });
