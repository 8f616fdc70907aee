/**
 * The network factory: one entry per architecture, keyed by the `arch` a method declares.
 */
import { unknownChoice } from '../errors.js';
import type { Network, NetworkArch } from './network.js';
import { VNet, type VNetOptions } from './vnet.js';

export interface NetworkOptions extends VNetOptions {
  /** Anything architecture-specific (e.g. the DyCON projection scale). */
  [extra: string]: unknown;
}

type Factory = (name: string, seed: number, options: NetworkOptions) => Network;

const FACTORIES: Partial<Record<NetworkArch, Factory>> = {
  vnet: (name, seed, options) => new VNet(name, seed, options),
};

export function createNetwork(arch: NetworkArch, name: string, seed: number, options: NetworkOptions): Network {
  const factory = FACTORIES[arch];
  if (!factory) throw unknownChoice('network architecture', arch, Object.keys(FACTORIES));
  return factory(name, seed, options);
}
