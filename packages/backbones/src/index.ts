/**
 * @dfer/backbones — PyTorch-like nn modules (tfjs forward, channels-last), a timm-style model registry
 * and the DFER base models.
 */
export * from './nn/index';
