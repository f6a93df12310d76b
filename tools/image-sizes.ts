/**
 * `npm run image-sizes`: builds every service image on the Node.js stand-in
 * base (as the container tests do) and prints a Markdown table of each
 * image's size and of what the project adds on top of the base image.
 */
import { dockerOrThrow, serviceImages, standInBaseImage } from './docker';

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;
const size = (image: string) => Number(dockerOrThrow(['image', 'inspect', '--format', '{{.Size}}', image]));

const base = standInBaseImage();
const baseSize = size(base);
const rows = serviceImages().map((image) => {
  dockerOrThrow(['build', '-q', '--build-arg', `NODE_IMAGE=${base}`, '-f', image.dockerfile, '-t', image.tag, image.context], { timeoutMs: 300_000 });
  const total = size(image.tag);
  return `| ${image.service} | ${mb(total)} | ${mb(total - baseSize)} |`;
});
console.log(`Base image ${base}: ${mb(baseSize)}\n`);
console.log('| image | size | added by the project (compiled JS + production dependencies) |');
console.log('| --- | --- | --- |');
for (const row of rows) console.log(row);
