// The pages of the app, in routing order. A page is {match, nav?, render(main, params, ctx)}:
// match is a RegExp on location.pathname with named groups; nav puts it in the header.
import signin from './signin.js';
import dashboard from './dashboard.js';
import collections from './collections.js';
import objects from './objects.js';
import object from './object.js';
import graph from './graph.js';
import inbox from './inbox.js';
import intake from './intake.js';
import search from './search.js';
import find from './find.js';
import watch from './watch.js';
import edit from './edit.js';
import map from './map.js';
import people from './people.js';

export const signinPage = signin;
export const pages = [dashboard, collections, objects, object, graph, ...inbox, intake, search, map, ...people, find, watch, edit];
