import { runService } from '@forum/service-kit';
import { resource } from './index';

runService({ service: 'threads', resources: [resource] });
