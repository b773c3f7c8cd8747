/**
 * The layer rule (make lint): a folder of src/ may import only from the folders below it.
 *   log, files, openflow  <-  packet  <-  controller  <-  topology  <-  fabric  <-  migration  <-  state  <-  cluster  <-  api  <-  app
 * `openflow` is a library of its own and imports nothing else of ours; `log` and `files` (bounded reads of named files) are shared by all.
 * Other layers reach the codec only through its index. lab/, bench/, examples/ and test/ sit
 * above src/; nothing imports test/.
 */
const LAYERS = ['log', 'files', 'openflow', 'packet', 'controller', 'topology', 'fabric', 'migration', 'state', 'cluster', 'api', 'app'];

const upward = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1);
  if (above.length === 0) return [];
  return [{
    name: `layer-${layer}`,
    comment: `src/${layer} may import only from ${LAYERS.slice(0, i).join(', ') || 'nothing of ours'}`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: `^src/(${above.join('|')})/` },
  }];
});

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'openflow-stands-alone',
      comment: 'the OpenFlow library imports nothing else of ours (log included)',
      severity: 'error',
      from: { path: '^src/openflow/' },
      to: { path: '^src/(?!openflow/)' },
    },
    {
      name: 'log-stands-alone',
      severity: 'error',
      from: { path: '^src/log/' },
      to: { path: '^src/(?!log/)' },
    },
    {
      name: 'files-stands-alone',
      severity: 'error',
      from: { path: '^src/files/' },
      to: { path: '^src/(?!files/)' },
    },
    {
      name: 'openflow-through-its-index',
      comment: 'other layers use the codec through src/openflow/index.ts',
      severity: 'error',
      from: { path: '^(src/(?!openflow/)|lab/|bench/|examples/)' },
      to: { path: '^src/openflow/(?!index\\.ts$)' },
    },
    {
      name: 'nothing-imports-tests',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'src-imports-no-tooling',
      comment: 'the controller does not depend on the lab, benchmarks or examples',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(lab|bench|examples)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
