export { plugin } from './plugin';
export { userStore, type User } from './data';
