export { plugin } from './plugin';
export { postStore, type Post } from './data';
