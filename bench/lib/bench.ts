/** What every benchmark returns: named figures and the goals they are held to. */
export interface Goal {
  name: string;
  value: number;
  target: number;
  /** 'min': value must be >= target; 'max': value must be <= target. */
  kind: 'min' | 'max';
  unit: string;
}

export interface BenchResult {
  name: string;
  figures: Record<string, number | string>;
  goals: Goal[];
  notes?: string[];
}

export interface Bench {
  name: string;
  description: string;
  run(): Promise<BenchResult>;
}

export function met(goal: Goal): boolean {
  return goal.kind === 'min' ? goal.value >= goal.target : goal.value <= goal.target;
}
