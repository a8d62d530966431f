/** The `vault` provider (Vault). Placeholder until implemented: adds no flags and configures nothing. */
import type { ProviderFactory } from './options.js';
import { UserError } from '../errors.js';

export const vaultFactory: ProviderFactory = {
  specPrefix: 'vault',
  addOptions() {},
  fromOptions() {
    return Promise.resolve([]);
  },
  fromSpec() {
    return Promise.reject(new UserError('the vault provider is not available yet'));
  },
};
