import { runService } from '@forum/service-kit';
import { resource } from './index';

runService({ service: 'users', resources: [resource] });
