import { createFrameChunker } from '../../src/audio/frame-chunker';

describe('createFrameChunker', () => {
  it('cuts arbitrary chunks into fixed frames and pads the tail', () => {
    const chunker = createFrameChunker(4);
    expect(chunker.push(Buffer.from([1, 2, 3]))).toEqual([]);
    expect(chunker.push(Buffer.from([4, 5, 6, 7, 8, 9, 10]))).toEqual([Buffer.from([1, 2, 3, 4]), Buffer.from([5, 6, 7, 8])]);
    expect(chunker.flush(0xff)).toEqual(Buffer.from([9, 10, 0xff, 0xff]));
    expect(chunker.flush()).toBeUndefined();
    expect(() => createFrameChunker(0)).toThrow(/invalid frame size/);
  });

  it('does not alias the caller\'s buffer (callers may reuse it)', () => {
    const chunker = createFrameChunker(2);
    const input = Buffer.from([1, 2, 3]);
    const [first] = chunker.push(input);
    input.fill(0);
    expect(first).toEqual(Buffer.from([1, 2]));
    expect(chunker.flush()).toEqual(Buffer.from([3, 0]));
  });
});
