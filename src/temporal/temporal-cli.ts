import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../util/project-root';

/**
 * Resolves the Temporal CLI binary (which contains the dev server) through
 * scripts/ensure-temporal-cli.sh: $TEMPORAL_CLI, `temporal` on PATH, a cached `go install`, or
 * `null` when only the SDK's own download is left (users with internet).
 */
export function resolveTemporalCli(): string | null {
  const script = path.join(projectRoot(), 'scripts/ensure-temporal-cli.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return out === 'sdk-download' ? null : out;
}
