/** The home folder: the option, then ADVX_HOME, then shared/ beside a checkout, then ~/.advx. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseHome, HOME_HINT, type HomeSettings } from './locations.js';

const settings = (over: Partial<HomeSettings>): HomeSettings => ({
  packageDir: '/opt/app/node_modules/advx',
  userHome: '/home/ada',
  exists: () => false,
  ...over,
});

test('the option wins over ADVX_HOME, which wins over the defaults', () => {
  assert.equal(chooseHome(settings({ option: '/data/advx', env: '/env/advx' })), '/data/advx');
  assert.equal(chooseHome(settings({ env: '/env/advx' })), '/env/advx');
  assert.equal(chooseHome(settings({ option: '  ', env: '/env/advx' })), '/env/advx');
});

test('a checkout uses shared/ beside it; an installed package ~/.advx', () => {
  const checkout = settings({ packageDir: '/work/main', exists: (p) => p === '/work/shared' });
  assert.equal(chooseHome(checkout), '/work/shared');
  assert.equal(chooseHome(settings({})), '/home/ada/.advx');
  assert.equal(chooseHome(settings({ env: '' })), '/home/ada/.advx');
});

test('the hint names every way to set it', () => {
  for (const way of ['--home', 'ADVX_HOME', 'home option']) assert.ok(HOME_HINT.includes(way), way);
});
