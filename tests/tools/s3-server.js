// A real S3-compatible server for the tests (s3rver), on a loopback port, with a key pair the test
// generated (S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY) and one bucket (S3_BUCKET), storing objects in
// S3_DIRECTORY. Prints "listening <port>" once it accepts requests. Faults, by key prefix so that
// one server serves every test: GETs of keys under "corrupt/" return the stored bytes with one byte
// flipped (an object changed after its upload); PUTs under "cut/" lose the connection half-way.
'use strict';
const http = require('http');
const S3rver = require('s3rver');
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account');

const bucket = process.env.S3_BUCKET;
DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
DUMMY_ACCOUNT.createKeyPair(process.env.S3_ACCESS_KEY_ID, process.env.S3_SECRET_ACCESS_KEY);

const s3 = new S3rver({ silent: true, directory: process.env.S3_DIRECTORY, configureBuckets: [{ name: bucket }] });
const handle = s3.callback();
// The server's own errors (an InternalError answered to the build) go to stderr, for the test's output.
s3.on('error', err => console.error(`s3rver: ${err && err.stack ? err.stack : err}`));

const server = http.createServer((req, res) => {
  const path = decodeURIComponent(req.url.split('?')[0]);
  if (req.method === 'GET' && path.startsWith(`/${bucket}/corrupt/`) && !path.endsWith('.sha256')) {
    const write = res.write.bind(res);
    let flipped = false;
    res.write = (chunk, ...rest) => {
      if (!flipped && res.statusCode === 200 && chunk && chunk.length > 0) {
        const copy = Buffer.from(chunk);
        copy[copy.length >> 1] ^= 0xff;
        flipped = true;
        return write(copy, ...rest);
      }
      return write(chunk, ...rest);
    };
  }
  if (req.method === 'PUT' && path.startsWith(`/${bucket}/cut/`) && !path.endsWith('.sha256')) {
    let seen = 0;
    const half = Number(req.headers['content-length'] || 0) / 2;
    req.on('data', chunk => {
      seen += chunk.length;
      if (seen >= half) req.socket.destroy();
    });
    return;
  }
  handle(req, res);
});

s3.configureBuckets().then(() => {
  server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
