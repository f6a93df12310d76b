export { plugin } from './plugin';
export { threadStore, type Thread } from './data';
