/**
 * Adaptive resolution. Where WebGL is software (SwiftShader: no GPU, as on this project's test
 * machines), every pixel of the canvas costs CPU on each frame, and panning a full-size map drops
 * to a few frames a second. So, while the map moves, the frame rate is measured; on a device found
 * slow, the map is drawn at a lower pixel ratio during gestures (a quarter of the pixels at 0.5),
 * and at full resolution again as soon as it rests. A device that keeps up is never changed.
 * A renderer that names itself software (SwiftShader, llvmpipe) is taken as slow from the start,
 * so even the first pan is smooth.
 */
import type { Map as MapLibreMap } from 'maplibre-gl';

export interface ResolutionOptions {
  /** A median frame interval above this while moving marks the device slow. @default 25 ms (under 40 frames a second) */
  slowFrameMs?: number;
  /** Frame intervals measured before deciding. @default 6 */
  sampleFrames?: number;
  /** Pixel ratio while moving on a slow device, as a fraction of the full one. @default 0.5 */
  movingScale?: number;
  /** How long the map must rest before the full resolution comes back. @default 200 ms */
  restMs?: number;
}

const DEFAULTS: Required<ResolutionOptions> = { slowFrameMs: 25, sampleFrames: 6, movingScale: 0.5, restMs: 200 };

/** Whether the last `sampleFrames` frame intervals say the device cannot keep up (their median is above `slowFrameMs`). */
export function isSlow(intervals: readonly number[], options: ResolutionOptions = {}): boolean {
  const { slowFrameMs, sampleFrames } = { ...DEFAULTS, ...options };
  if (intervals.length < sampleFrames) return false;
  const last = [...intervals.slice(-sampleFrames)].sort((a, b) => a - b);
  const mid = Math.floor(last.length / 2);
  const median = last.length % 2 ? last[mid]! : (last[mid - 1]! + last[mid]!) / 2;
  return median > slowFrameMs;
}

function listen(target: EventTarget, type: string, handler: () => void, options?: AddEventListenerOptions): () => void {
  target.addEventListener(type, handler, options);
  return () => target.removeEventListener(type, handler, options);
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software/i;

/** Whether the map's WebGL context says it renders in software (false when it does not say). */
export function rendersInSoftware(canvas: HTMLCanvasElement): boolean {
  // the same type as the map's context returns that context (no new one is made)
  const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  return SOFTWARE_RENDERER.test(renderer);
}

/**
 * Watches `map`'s movements and lowers its pixel ratio while it moves on a slow device.
 * Returns a function that stops watching.
 *
 * The ratio changes only while no gesture is under way: MapLibre's `resize()` (behind
 * `setPixelRatio`) stops the camera and resets the gesture handlers unless a camera animation
 * runs, so a change in the middle of a drag would end the drag. It is lowered when a pointer goes
 * down or the wheel turns (before MapLibre sees the event), and put back once the map rests with
 * no pointer down. A device found slow by measuring a movement gets the lower ratio from its next
 * gesture on.
 */
export function adaptResolution(map: MapLibreMap, options: ResolutionOptions = {}): () => void {
  const settings = { ...DEFAULTS, ...options };
  const container = map.getContainer();
  const full = map.getPixelRatio();
  const low = full * settings.movingScale;
  let slow = rendersInSoftware(map.getCanvas());
  let moving = false;
  let pointers = 0;
  let resizing = false; // setPixelRatio fires movestart/moveend itself: those are not the user's
  let frame = 0;
  let rest: ReturnType<typeof setTimeout> | undefined;
  let intervals: number[] = [];

  const setRatio = (ratio: number) => {
    if (map.getPixelRatio() === ratio) return;
    resizing = true;
    try {
      map.setPixelRatio(ratio);
    } finally {
      resizing = false;
    }
    container.dataset.pixelRatio = String(ratio);
  };
  const restLater = () => {
    clearTimeout(rest);
    rest = setTimeout(() => {
      if (!moving && pointers === 0) setRatio(full);
    }, settings.restMs);
  };
  const measure = (last: number) => (now: number) => {
    if (!moving) return;
    intervals.push(now - last);
    if (isSlow(intervals, settings)) slow = true;
    else frame = requestAnimationFrame(measure(now));
  };
  const onGesture = () => {
    clearTimeout(rest);
    if (slow && !moving) setRatio(low);
  };
  const onPointerDown = () => { pointers += 1; onGesture(); };
  const onPointerUp = () => {
    pointers = Math.max(0, pointers - 1);
    if (!moving) restLater();
  };
  // a wheel turn that moves nothing (at the zoom limit) gets no moveend: the rest is scheduled at once
  const onWheel = () => { onGesture(); restLater(); };
  const onStart = () => {
    if (resizing) return;
    clearTimeout(rest);
    moving = true;
    if (slow) return;
    intervals = [];
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame((now) => (frame = requestAnimationFrame(measure(now))));
  };
  const onEnd = () => {
    if (resizing) return;
    moving = false;
    cancelAnimationFrame(frame);
    if (pointers === 0) restLater();
  };
  // capture: before MapLibre's own handlers (on the canvas inside) start the gesture
  const unlisten = [
    listen(container, 'pointerdown', onPointerDown, { capture: true }),
    listen(container, 'wheel', onWheel, { capture: true, passive: true }),
    listen(window, 'pointerup', onPointerUp),
    listen(window, 'pointercancel', onPointerUp),
  ];
  map.on('movestart', onStart);
  map.on('moveend', onEnd);
  container.dataset.pixelRatio = String(full);
  return () => {
    for (const stop of unlisten) stop();
    map.off('movestart', onStart);
    map.off('moveend', onEnd);
    cancelAnimationFrame(frame);
    clearTimeout(rest);
  };
}
