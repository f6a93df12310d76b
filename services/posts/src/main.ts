import { runService } from '@forum/service-kit';
import { plugin } from './plugin';

runService({ service: 'posts', plugins: [plugin] });
