import { generate } from 'selfsigned';

/** A self-signed certificate for 127.0.0.1, made when the test runs (never committed). */
export async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    days: 1,
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  } as never);
  return { key: pems.private, cert: pems.cert };
}
