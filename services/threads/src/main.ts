import { runService } from '@forum/service-kit';
import { plugin } from './plugin';

runService({ service: 'threads', plugins: [plugin] });
