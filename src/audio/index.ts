/** Audio stages for the call media path: codecs, formats, resampling, WAV, pacing, VAD and endpointing. */
export * from './pcm';
export * from './g711';
export * from './media-format';
export * from './resampler';
export * from './wav';
export * from './frame-chunker';
export * from './frame-pacer';
export * from './vad';
export * from './endpointer';
