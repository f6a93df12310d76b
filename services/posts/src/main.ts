import { runService } from '@forum/service-kit';
import { resource } from './index';

runService({ service: 'posts', resources: [resource] });
