/**
 * The forum behind HTTPS under the team's own domain name: the production
 * listener serves the certificate on 443 (80 redirects to it), and each
 * blue/green service's pre-traffic hook asks its HTTPS test listener for the
 * domain name, the one the certificate names (never the load balancer's own).
 *
 *   CERTIFICATE_ARN=arn:aws:acm:us-east-1:123456789012:certificate/... \
 *   DOMAIN_NAME=forum.example.com BLUE_GREEN_SERVICES=users npx cdktf diff
 *
 * On the emulator (DEPLOY_TARGET=local) the stack imports a certificate that
 * the checkout's own authority issued for DOMAIN_NAME instead, which the local
 * load balancer serves (lib/local-certificate-files.ts).
 */
import { ConfigError } from '../../forum/config/errors';
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import type { ProjectConfig } from '../../forum/config/types';
import { ForumStack } from '../../forum/stack';
import { projectRoot } from '../../lib/project-root';
import { synthApp } from '../../forum/synth-app';
import { setting, type SettingName } from '../../lib/settings';

const required = (name: SettingName): string => {
  const value = setting(name);
  if (!value) throw new ConfigError(name, 'is required: the certificate and the domain name it names (see the header of this file)');
  return value;
};

synthApp((app) => {
  const withDomain: ProjectConfig = { ...projectConfig, certificateArn: required('CERTIFICATE_ARN'), domainName: required('DOMAIN_NAME') };
  const config = resolveConfig(withDomain, process.env, projectRoot());
  new ForumStack(app, config.namePrefix, config);
});
