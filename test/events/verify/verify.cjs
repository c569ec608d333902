// The Phonevoice seed's Node.js verify function, verbatim; the lines after it feed it a captured delivery.
const crypto = require('crypto');
function verify(rawBody, header, secret) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=')));
  const expected = crypto.createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}
const fs = require('fs');
const [bodyFile, header, secret] = process.argv.slice(2);
process.stdout.write(verify(fs.readFileSync(bodyFile, 'utf8'), header, secret) ? 'valid' : 'invalid');
