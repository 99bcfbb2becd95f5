export * from './common';
export { startFakeVast, vastOffer, defaultVastOffers, vastSearch, type FakeVastOptions, type FakeVastState, type FakeVastInstance } from './vast';
export { startFakeRunpod, defaultRunpodGpuTypes, topLevelField, type FakeRunpodOptions, type FakeRunpodState, type FakeRunpodPod, type FakeRunpodGpuType } from './runpod';
export { startFakeLambda, defaultLambdaTypes, type FakeLambdaOptions, type FakeLambdaState, type FakeLambdaInstance, type FakeLambdaType } from './lambda';
