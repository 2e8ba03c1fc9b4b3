/** The floor benchmark's activity: it does nothing, so all that is measured is Temporal's round trip. */
export function createFloorActivities() {
  return {
    async noop(): Promise<void> {},
  };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>;
