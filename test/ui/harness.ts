// Component-test page: the real App, given a synthetic Analysis with findings instead of a file.
import { mount } from 'svelte';
import App from '../../src/ui/App.svelte';
import { syntheticCase } from './synthetic.ts';

const { analysis } = syntheticCase();
mount(App, { target: document.getElementById('app')!, props: { preloaded: { analysis, fileName: 'synthetic.pcap' } } });
