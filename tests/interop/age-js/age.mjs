// A tiny command line over the reference TypeScript age implementation (npm
// `age-encryption`), so tests/integration/pq.rs can check vault's post-quantum files
// against it in both directions:
//   node age.mjs keygen                  a new hybrid identity on stdout
//   node age.mjs recipient < identity    its recipient
//   node age.mjs encrypt RECIPIENT…      armored age of stdin
//   node age.mjs decrypt IDENTITY_FILE   plaintext of the armored age on stdin
import { readFileSync } from "node:fs";
import * as age from "age-encryption";

const stdin = () => readFileSync(0);
const keys = (text) =>
  text.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("AGE-SECRET-KEY-"));

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case "keygen":
    process.stdout.write((await age.generateHybridIdentity()) + "\n");
    break;
  case "recipient":
    process.stdout.write((await age.identityToRecipient(keys(stdin().toString())[0])) + "\n");
    break;
  case "encrypt": {
    const e = new age.Encrypter();
    for (const r of args) e.addRecipient(r);
    process.stdout.write(age.armor.encode(await e.encrypt(stdin())));
    break;
  }
  case "decrypt": {
    const d = new age.Decrypter();
    for (const k of keys(readFileSync(args[0], "utf8"))) d.addIdentity(k);
    process.stdout.write(await d.decrypt(age.armor.decode(stdin().toString())));
    break;
  }
  default:
    process.stderr.write("usage: node age.mjs keygen|recipient|encrypt|decrypt\n");
    process.exit(2);
}
