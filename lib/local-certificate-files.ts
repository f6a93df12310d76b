/**
 * Where a local deploy keeps the certificate it serves HTTPS with, under its
 * state folder (LOCAL_STATE_DIR): the certificate authority of the checkout,
 * and one certificate and key per domain name. The local commands make them
 * (local/aws/local-certificates.ts), the stack imports the certificate into
 * the emulator's ACM, and the local load balancer serves it.
 */
import { join } from 'node:path';

export interface LocalCertificateFiles {
  /** The authority's certificate (PEM): what callers trust (NODE_EXTRA_CA_CERTS, `curl --cacert`). */
  readonly authority: string;
  /** The authority's private key. */
  readonly authorityKey: string;
  /** The certificate for the domain name (PEM). */
  readonly certificate: string;
  /** Its private key (PKCS #8 PEM). */
  readonly privateKey: string;
}

export function localCertificateFiles(stateDir: string, domainName: string): LocalCertificateFiles {
  const dir = join(stateDir, 'tls');
  return {
    authority: join(dir, 'local-ca.pem'),
    authorityKey: join(dir, 'local-ca.key.pem'),
    certificate: join(dir, `${domainName}.pem`),
    privateKey: join(dir, `${domainName}.key.pem`),
  };
}
