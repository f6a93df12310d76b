import { runService } from '@forum/service-kit';
import { usersPlugin } from './plugin';

runService({ service: 'users', plugins: [usersPlugin] });
