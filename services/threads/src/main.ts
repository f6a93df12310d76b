import { runService } from '@forum/service-kit';
import { threadsPlugin } from './plugin';

runService({ service: 'threads', plugins: [threadsPlugin] });
