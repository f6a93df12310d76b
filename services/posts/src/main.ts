import { runService } from '@forum/service-kit';
import { postsPlugin } from './plugin';

runService({ service: 'posts', plugins: [postsPlugin] });
