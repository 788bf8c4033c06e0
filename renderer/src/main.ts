import { mount } from 'svelte';
import './styles/global.css';
import App from './App.svelte';
import { createClient } from './transport';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

mount(App, { target, props: { client: createClient() } });
