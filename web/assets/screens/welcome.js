// Placeholder: this screen is being written.
import { t } from '../i18n.js';
import { page } from '../ui.js';

export default {
  async render(root) {
    page(root, t('nav.welcome'));
  },
};
