import type { Config } from '../config';
import { openDataDir, type DataDir } from './data-dir';

/**
 * What this server keeps on its own disk, decided from the configuration: the data
 * directory is opened (and locked) only when something needs it, i.e. the server runs
 * its own Redis or generates its API token; servers with REDIS_URL and API_TOKEN (several
 * on one host, containers) share nothing on disk.
 */
export interface LocalState {
  apiToken: string;
  /** where the generated token is, when it was generated */
  apiTokenFile?: string;
  data?: DataDir;
  release(): Promise<void>;
}

export async function openLocalState(config: Config): Promise<LocalState> {
  if (config.redisUrl && config.apiToken) return { apiToken: config.apiToken, release: async () => {} };
  const data = await openDataDir(config.dataDir);
  try {
    const apiToken = config.apiToken ?? (await data.apiToken());
    return { apiToken, apiTokenFile: config.apiToken ? undefined : data.apiTokenFile, data, release: () => data.release() };
  } catch (err) {
    await data.release();
    throw err;
  }
}
