// The client routes (see docs/web.md). Every page component gets { params, query, user, path }.
// The admin pages (/admin… and /tokens) load on first use from pages/admin/index.js, whose
// default export takes { path, user, query } and renders the right sub-page.
import { PeoplePage } from './pages/people.js';
import { PersonPage } from './pages/person.js';
import { AccountsPage } from './pages/accounts.js';
import { AccountPage } from './pages/account.js';
import { OpportunityPage } from './pages/opportunity.js';
import { ComposePage } from './pages/compose.js';
import { TemplatesPage } from './pages/templates.js';
import { TemplateEditorPage } from './pages/templates-editor.js';
import { TasksPage } from './pages/tasks.js';
import { CampaignsPage } from './pages/campaigns.js';
import { CampaignBuilderPage } from './pages/campaigns-builder.js';
import { CampaignPage } from './pages/campaigns-detail.js';
import { CampaignAddPage } from './pages/campaigns-add.js';
import { BestBetsPage } from './pages/best-bets.js';
import { ReportsPage } from './pages/reports.js';
import { PanelPage } from './pages/panel.js';
import { FiltersPage } from './pages/filters.js';
import './pages/triggers-panel.js'; // the Triggers section of /filters

export const loadAdmin = () => import('./pages/admin/index.js');

export const routes = [
  { pattern: '/', redirect: '/people' },
  { pattern: '/people', component: PeoplePage },
  { pattern: '/people/:id', component: PersonPage },
  { pattern: '/accounts', component: AccountsPage },
  { pattern: '/accounts/:id', component: AccountPage },
  { pattern: '/opportunities/:id', component: OpportunityPage },
  { pattern: '/compose', component: ComposePage },
  { pattern: '/templates', component: TemplatesPage },
  { pattern: '/templates/:id', component: TemplateEditorPage },
  { pattern: '/tasks', component: TasksPage },
  { pattern: '/campaigns', component: CampaignsPage },
  { pattern: '/campaigns/new', component: CampaignBuilderPage },
  { pattern: '/campaigns/add', component: CampaignAddPage },
  { pattern: '/campaigns/:id', component: CampaignPage },
  { pattern: '/campaigns/:id/edit', component: CampaignBuilderPage },
  { pattern: '/best-bets', component: BestBetsPage },
  { pattern: '/reports', component: ReportsPage },
  { pattern: '/filters', component: FiltersPage },
  // The embeddable panel: `bare` pages render without the shell (main.js).
  { pattern: '/panel/sfdc/:id', component: PanelPage, bare: true },
  { pattern: '/admin', prefix: true, load: loadAdmin },
  { pattern: '/tokens', load: loadAdmin },
  { pattern: '/senders', load: loadAdmin },
  { pattern: '/settings', load: loadAdmin },
];
