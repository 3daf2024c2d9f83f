import { describe, expect, it } from 'vitest';

import { isSlow } from './resolution';

describe('isSlow', () => {
  it('waits for enough frames before deciding', () => {
    expect(isSlow([100, 100, 100, 100, 100])).toBe(false);
    expect(isSlow([100, 100, 100, 100, 100, 100])).toBe(true);
  });

  it('keeps a device that draws at 60 frames a second', () => {
    expect(isSlow([16.7, 16.6, 16.7, 16.7, 16.8, 16.6])).toBe(false);
  });

  it('is not fooled by one long frame (the median decides)', () => {
    expect(isSlow([16.7, 16.7, 300, 16.7, 16.7, 16.7])).toBe(false);
  });

  it('marks a device slow when most frames take two vsyncs or more', () => {
    expect(isSlow([33.3, 16.7, 50, 33.4, 66.7, 16.7])).toBe(true);
  });

  it('looks at the last frames only', () => {
    expect(isSlow([100, 100, 100, 100, 16, 16, 16, 16, 16, 16])).toBe(false);
  });

  it('takes its threshold and sample size from the options', () => {
    expect(isSlow([30, 30, 30], { slowFrameMs: 40, sampleFrames: 3 })).toBe(false);
    expect(isSlow([50, 50, 50], { slowFrameMs: 40, sampleFrames: 3 })).toBe(true);
  });
});
