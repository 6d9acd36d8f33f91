export { trainModel } from './train-model';
export type { TrainRequest, TrainedModel } from './train-model';
export { solveMinimumNorm } from './minimum-norm';
export type { LinearSolution } from './minimum-norm';
export { rmseOnStatistics } from './rmse';
export type { LinearModel } from './rmse';
export { componentLabels, nullSpaceBasis } from './null-space';
export { pairDesign } from './design';
export type { PairDesign } from './design';
