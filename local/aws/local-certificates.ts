/**
 * Certificates for the local stand-in of ACM: a certificate authority of the
 * checkout's own, and server certificates it issues for a domain name. A
 * team imports its certificate into ACM; `deploy:local` imports one of these
 * into the emulator's the same way, and the local load balancer serves it on
 * the HTTPS listeners that name it. Whoever calls those listeners trusts the
 * authority (NODE_EXTRA_CA_CERTS, `curl --cacert`), as browsers trust a
 * public one. ECDSA P-256 with SHA-256: accepted by ACM's ImportCertificate
 * and by every TLS policy of ALB. Made with @peculiar/x509 (X.509 on Node's
 * WebCrypto), since Node can read certificates but not make them.
 */
import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DescribeCertificateCommand, GetCertificateCommand, type ACMClient } from '@aws-sdk/client-acm';
import * as x509 from '@peculiar/x509';
import { localCertificateFiles, type LocalCertificateFiles } from '../../lib/local-certificate-files';

const crypto = webcrypto;
const KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and its private key, PEM-encoded (ACM's ImportCertificate takes them so). */
export interface PemCertificate {
  readonly certificate: string;
  readonly privateKey: string;
}

const serialNumber = () => `01${randomBytes(15).toString('hex')}`;
const pem = async (keys: webcrypto.CryptoKeyPair, certificate: x509.X509Certificate): Promise<PemCertificate> => ({
  certificate: certificate.toString('pem'),
  privateKey: x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
});

/** A new certificate authority named `name`, valid for `days` (it signs certificates, nothing else). */
export async function createAuthority(name: string, days = 3650): Promise<PemCertificate> {
  const keys = await crypto.subtle.generateKey(KEY, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: [{ CN: [name] }],
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + days * DAY_MS),
      signingAlgorithm: SIGNING,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return pem(keys, certificate);
}

/** A server certificate for `domainName` (its subject alternative name), signed by `authority`, valid for `days`. */
export async function issueCertificate(authority: PemCertificate, domainName: string, days = 397): Promise<PemCertificate> {
  const issuer = new x509.X509Certificate(authority.certificate);
  const signingKey = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decode(authority.privateKey)[0], KEY, false, ['sign']);
  const keys = await crypto.subtle.generateKey(KEY, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: [{ CN: [domainName] }],
      issuer: issuer.subject,
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + days * DAY_MS),
      signingAlgorithm: SIGNING,
      publicKey: keys.publicKey,
      signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: domainName }]),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false, crypto),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return pem(keys, certificate);
}

const write = (file: string, text: string, secret = false) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, secret ? { mode: 0o600 } : {});
};
const read = (certificate: string, privateKey: string): PemCertificate => ({
  certificate: readFileSync(certificate, 'utf8'),
  privateKey: readFileSync(privateKey, 'utf8'),
});
/** Whether the certificate in `file` is valid for at least another week. */
const fresh = (file: string) => existsSync(file) && Date.parse(new X509Certificate(readFileSync(file)).validTo) > Date.now() + 7 * DAY_MS;

/**
 * The local authority of `stateDir` (made once) and a certificate it issued
 * for `domainName` (made when missing or about to expire), in the files
 * lib/local-certificate-files.ts names.
 */
export async function ensureLocalCertificate(stateDir: string, domainName: string): Promise<LocalCertificateFiles> {
  const files = localCertificateFiles(stateDir, domainName);
  if (!fresh(files.authority) || !existsSync(files.authorityKey)) {
    const authority = await createAuthority(`forum local CA (${stateDir})`);
    write(files.authorityKey, authority.privateKey, true);
    write(files.authority, authority.certificate);
  }
  const issuer = new X509Certificate(readFileSync(files.authority));
  if (!fresh(files.certificate) || !existsSync(files.privateKey) || !new X509Certificate(readFileSync(files.certificate)).checkIssued(issuer)) {
    const issued = await issueCertificate(read(files.authority, files.authorityKey), domainName);
    write(files.privateKey, issued.privateKey, true);
    write(files.certificate, issued.certificate);
  }
  return files;
}

/**
 * What a local HTTPS listener serves for the ACM certificate it names: the
 * certificate the local authority issued for its domain name (with the
 * authority as its chain) and that certificate's key, when ACM holds exactly
 * that certificate (ACM never gives a key back); undefined otherwise.
 */
export function listenerCertificates(acm: Pick<ACMClient, 'send'>, stateDir: string) {
  return async (arn: string): Promise<PemCertificate | undefined> => {
    const domainName = (await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate?.DomainName;
    if (!domainName) return undefined;
    const files = localCertificateFiles(stateDir, domainName);
    if (!existsSync(files.certificate) || !existsSync(files.privateKey) || !existsSync(files.authority)) return undefined;
    const held = (await acm.send(new GetCertificateCommand({ CertificateArn: arn }))).Certificate;
    const local = readFileSync(files.certificate, 'utf8');
    if (!held || new X509Certificate(held).fingerprint256 !== new X509Certificate(local).fingerprint256) return undefined;
    return { certificate: `${local.trimEnd()}\n${readFileSync(files.authority, 'utf8')}`, privateKey: readFileSync(files.privateKey, 'utf8') };
  };
}
