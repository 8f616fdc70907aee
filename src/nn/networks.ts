/**
 * The network factory: one entry per architecture, keyed by the `arch` a method declares.
 */
import { unknownChoice } from '../errors.js';
import type { Network, NetworkArch } from './network.js';
import { VNet, type VNetOptions } from './vnet.js';
import { ResVNet } from './resvnet.js';
import { DualVNet } from './dual-vnet.js';
import { UNet3D } from './unet3d.js';
import { UNet2D } from './unet2d.js';
import { CmlUNet2D } from './cml-unet2d.js';

export interface NetworkOptions extends VNetOptions {
  /** Anything architecture-specific (e.g. the DyCON projection scale). */
  [extra: string]: unknown;
}

type Factory = (name: string, seed: number, options: NetworkOptions) => Network;

const FACTORIES: Partial<Record<NetworkArch, Factory>> = {
  vnet: (name, seed, options) => new VNet(name, seed, options),
  resvnet: (name, seed, options) => new ResVNet(name, seed, options),
  'dual-vnet': (name, seed, options) => new DualVNet(name, seed, options),
  unet3d: (name, seed, options) => new UNet3D(name, seed, options),
  unet2d: (name, seed, options) => new UNet2D(name, seed, options),
  'cml-unet2d': (name, seed, options) => new CmlUNet2D(name, seed, options),
};

export function createNetwork(arch: NetworkArch, name: string, seed: number, options: NetworkOptions): Network {
  const factory = FACTORIES[arch];
  if (!factory) throw unknownChoice('network architecture', arch, Object.keys(FACTORIES));
  return factory(name, seed, options);
}
