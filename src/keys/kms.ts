/** The `kms` provider (KMS). Placeholder until implemented: adds no flags and configures nothing. */
import type { ProviderFactory } from './options.js';
import { UserError } from '../errors.js';

export const kmsFactory: ProviderFactory = {
  specPrefix: 'kms',
  addOptions() {},
  fromOptions() {
    return Promise.resolve([]);
  },
  fromSpec() {
    return Promise.reject(new UserError('the kms provider is not available yet'));
  },
};
