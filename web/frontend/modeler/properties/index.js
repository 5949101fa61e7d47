import SpiffPropertiesProvider from './SpiffPropertiesProvider.js';

export default {
  __init__: ['spiffPropertiesProvider'],
  spiffPropertiesProvider: ['type', SpiffPropertiesProvider],
};
