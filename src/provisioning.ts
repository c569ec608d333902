/**
 * What the store must hold before the platform serves anyone: a first project (with a token a new
 * operator can curl with at once), the trunks' number inventory, and config registrar users as agents.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Store, InventoryEntry } from './store/index.js';

export interface ProvisionResult {
  defaultProjectId: number;
  /** Set only on the first start with an empty database. */
  createdToken?: string;
  numbersAdded: number;
  agentsAdded: number;
}

export function inventoryOf(config: Config): InventoryEntry[] {
  return config.trunks.flatMap((t) =>
    (t.numbers ?? []).map((n) => ({ number: n.number, trunk: t.name, country: n.country, type: n.type, areaCode: n.areaCode })),
  );
}

export async function provisionStore(store: Store, config: Config, logger: Logger): Promise<ProvisionResult> {
  let project = await store.projects.first();
  let createdToken: string | undefined;
  if (!project) {
    project = await store.projects.create('default');
    createdToken = (await store.apiTokens.create(project.id)).token;
    logger.warn(
      { projectId: project.id, token: createdToken },
      `created project "default" (id ${project.id}) with API token ${createdToken} — store it now, it will not be shown again (more with: npm run admin -- token create ${project.id})`,
    );
  }
  const numbersAdded = await store.numbers.syncInventory(inventoryOf(config));
  const agentsAdded = await store.agents.seed(project.id, config.registrar.users);
  if (numbersAdded || agentsAdded) logger.info({ numbersAdded, agentsAdded }, 'store provisioned from config');
  return { defaultProjectId: project.id, createdToken, numbersAdded, agentsAdded };
}
