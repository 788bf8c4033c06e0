/**
 * One turn of the event loop for long loops in the main process (training epochs, scoring
 * slices, reading codes, projecting the map): IPC messages, cancel requests and progress
 * events get through between steps, so the studio never freezes.
 */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
