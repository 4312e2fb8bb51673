// Prebuilds the workflow bundle (dist/workflow-bundle.js) so workers start without running webpack.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from './worker';

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, 'workflow-bundle.js'));
  fs.writeFileSync(out, await bundleWorkflows());
  console.log(`workflow bundle written to ${path.relative(process.cwd(), out)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
