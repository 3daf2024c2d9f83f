import { describe, expect, it } from 'vitest';

import { unwrapRing } from './style';
import { bboxOfBounds } from './view';

describe('bboxOfBounds', () => {
  it('passes an ordinary view through', () => {
    expect(bboxOfBounds(-10, 35, 20, 60)).toEqual([-10, 35, 20, 60]);
  });

  it('asks for the whole band when the view is wider than the world', () => {
    expect(bboxOfBounds(-400, -95, 300, 95)).toEqual([-180, -90, 180, 90]);
  });

  it('folds a view panned past the antimeridian back into [-180, 180]', () => {
    expect(bboxOfBounds(190, 0, 200, 10)).toEqual([-170, 0, -160, 10]);
  });

  it('asks for the whole band when the view crosses the antimeridian (the API refuses such boxes)', () => {
    expect(bboxOfBounds(170, -10, 190, 10)).toEqual([-180, -10, 180, 10]);
  });

  it('keeps 180 as the east edge', () => {
    expect(bboxOfBounds(100, 0, 180, 10)).toEqual([100, 0, 180, 10]);
  });
});

describe('unwrapRing', () => {
  it('keeps a ring that crosses the antimeridian continuous', () => {
    expect(unwrapRing([[179, 60], [-179, 61], [-178, 62], [179, 60]])).toEqual([[179, 60], [181, 61], [182, 62], [179, 60]]);
  });

  it('leaves an ordinary ring alone', () => {
    const ring = [[0, 0], [10, 0], [10, 10], [0, 0]];
    expect(unwrapRing(ring)).toEqual(ring);
  });
});
