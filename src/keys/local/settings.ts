/** The `local` provider's settings: key files made by `snapshot-guard keygen`. */
import type { ProviderFactory } from '../provider.js';
import { LocalKeyProvider } from './provider.js';

export interface LocalKeySettings {
  /** Paths of key files (key-file, repeatable). */
  keyFile: string[];
}

export const localFactory: ProviderFactory<LocalKeySettings> = {
  specPrefix: 'file',
  fromSettings(settings) {
    return Promise.all(settings.keyFile.map((p) => LocalKeyProvider.fromFile(p)));
  },
  fromSpec(value) {
    return LocalKeyProvider.fromFile(value);
  },
};
