// Types of launch.js for the tests that import it (the project type-checks no JavaScript).
export declare const STAMP: string;
export declare function isBuildFresh(root?: string, outDir?: string): boolean;
export declare function startCli(): Promise<void>;
