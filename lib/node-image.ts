/**
 * The base image of every service image: Node.js 24 LTS from the ECR Public
 * mirror of Docker Hub (no pull limits inside AWS). The Dockerfiles' default
 * NODE_IMAGE and the local runtime's build read it here.
 */
export const NODE_IMAGE_DEFAULT = 'public.ecr.aws/docker/library/node:24-alpine';
